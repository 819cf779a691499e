"""Names that cross the workflow/activity boundary. Workflows call activities only by name."""

PLAN_ACTIVITY = "plan_query"
RESOLVE_ACTIVITY = "resolve_documents"
QUERY_WORKFLOW = "QueryWorkflow"
REPLAN_WORKFLOW = "ReplanWorkflow"
DIRECT_PREFIX = "direct"
SESSION_WORKFLOW = "SessionWorkflow"
