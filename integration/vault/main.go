// Command vault builds the HashiCorp Vault server used by sandgate's integration
// tests. It lives in its own module so that the gateway's go.mod stays lean;
// the Makefile builds it once into a cache outside the repository.
package main

import (
	"os"

	"github.com/hashicorp/vault/command"
)

func main() {
	os.Exit(command.Run(os.Args[1:]))
}
