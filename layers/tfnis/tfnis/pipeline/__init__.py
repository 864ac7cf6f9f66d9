"""The stage functions the Lambda handlers call: one per stage, each moving a submission one step on."""
