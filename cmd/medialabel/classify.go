package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// TODO(placeholder): replaced by the real command.
func newClassifyCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "classify",
		Short: "not built yet",
		RunE: func(cmd *cobra.Command, args []string) error {
			return usageError(errors.New("classify: not available in this build yet"))
		},
	}
}
