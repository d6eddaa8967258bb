"""The domain. Plain functions that take the acting user and plain data, enforce the policy,
change data, write audit and outbox rows and commit; they never touch the request."""
