"""Tested solutions to the RNN/BPTT exercises of NNDL chapter 6 (NumPy + PyTorch)."""
