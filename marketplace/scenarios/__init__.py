"""Scenarios (应用场景) that departments open to member companies: their content, required
capabilities and evaluation criteria with weights, deadlines, clarification Q&A, and the status
machine from draft to completed, every transition a named, audited service function."""
