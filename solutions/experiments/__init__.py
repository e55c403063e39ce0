"""Training experiments: the character model (``train``), the remedies of exercise 6-3 (``remedies``), the digit-sum task (``digit_sum``)."""
