"""One case, start to end, stateless: prepare, extract, run, explain, questions, the Diagnosis."""
