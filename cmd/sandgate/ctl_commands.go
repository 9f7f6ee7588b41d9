package main

// commands lists every `sandgate ctl` subcommand, in the order --help
// shows them. Each admin route is reachable from one of them.
var commands = []command{
	sandboxCreateCmd, sandboxListCmd, sandboxShowCmd, sandboxDeleteCmd, sandboxEnvCmd, sandboxCACmd,
	outboundSetCmd, outboundClearCmd, byHostSetCmd, byHostClearCmd, hostsAllowCmd, hostsDenyCmd,
	scriptsListCmd, scriptsShowCmd, scriptsPutCmd, scriptsDeleteCmd, scriptsReloadCmd,
	secretsFlushCmd, statusCmd, watchCmd, metricsCmd, healthCmd, pprofCmd,
}
