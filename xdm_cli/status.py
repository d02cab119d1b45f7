"""`x-dm-channel status`: the stack's outputs and the next commands."""

import argparse

from xdm_cli.aws_stack import stack_outputs


def status(args: argparse.Namespace) -> str:
    """Show the deployed stack's outputs and the next commands."""
    outputs = stack_outputs(args.stack)
    lines = [f"{key}: {value}" for key, value in sorted(outputs.items())]
    return "\n".join(
        [
            *lines,
            "",
            "Next: x-dm-channel credentials set; credentials check; webhook register --api v2; subscribe --api xaa",
        ]
    )
