package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// TODO(placeholder): replaced by the real command.
func newDBCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "db",
		Short: "not built yet",
		RunE: func(cmd *cobra.Command, args []string) error {
			return usageError(errors.New("db: not available in this build yet"))
		},
	}
}
