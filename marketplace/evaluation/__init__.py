"""The bureau's decision on a closed scenario: evaluator assignments, scores per criterion,
shortlist, selection and the published result."""
