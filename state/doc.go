// Package state keeps what must outlive a gateway process: each sandbox's
// identity, token hash, CA (its private key sealed) and runtime policy,
// and, in a fleet, the scripts (docs/state.md).
//
// A Store is the one interface the sandbox registry writes through and
// loads from at start. Three implementations: Memory (keeps nothing past
// the process), Bolt (an embedded file, the default) and, in package
// state/etcd, an etcd cluster shared by a fleet, which also implements
// Watcher so every gateway follows the others' changes.
//
// A Store never sees a CA private key in clear text: the registry seals it
// with a Sealer (AES-256-GCM under a key file, or Vault's transit engine)
// before it hands a record over.
package state
