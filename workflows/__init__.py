"""Deterministic orchestration: QueryWorkflow, ReplanWorkflow and the pure DAG logic."""
