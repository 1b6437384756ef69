// Loaded by mocha before any test: the pinned AWS SDK releases work on Node.js 20; their one-time
// notice that releases from 2027 need Node 22 is noise in test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
