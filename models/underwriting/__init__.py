"""What an insurer or a city asks for: the quote engine, the self-assessment and its imputation."""
