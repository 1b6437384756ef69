"""An ECS cluster of 2 to 10 Spot instances in the account's default VPC, from Python."""
import pulumi
import pulumi_aws as aws
import pulumi_spot_ecs as spot_ecs

vpc = aws.ec2.get_vpc_output(default=True)
subnets = aws.ec2.get_subnets_output(filters=[{"name": "vpc-id", "values": [vpc.id]}])

cluster = spot_ecs.SpotEcsCluster(
    "web",
    vpc_id=vpc.id,
    subnet_ids=subnets.ids,
    instance_types=["m6i.large", "m5.large", "m5a.large"],
    min_size=2,
    max_size=10,
    # Nested arguments as dicts take the schema's (camelCase) names, as the generated SDK does.
    draining={"batchSize": 2, "timeoutSeconds": 600},
    runner={"schedule": "rate(2 minutes)"},
)

pulumi.export("clusterName", cluster.cluster_name)
pulumi.export("autoScalingGroupName", cluster.auto_scaling_group_name)
pulumi.export("plan", cluster.plan)
