"""The X Direct Message channel's logic, shared by the Lambda functions."""
