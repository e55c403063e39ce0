"""Parameter shapes of a real torch.nn.RNN beside the book's symbols (notation crosswalk)."""

from __future__ import annotations

import torch

from solutions.publish.report import table

I, H = 3, 4  # input size (the book's M) and hidden size (the book's D)

# PyTorch name -> (book symbol, deeplearning.ai name, its layout, CS231n name, its layout);
# a layout says how that convention stores the same numbers as PyTorch's tensor.
CROSSWALK = {
    "weight_ih_l0": ("W", "Wax", "same", "Wx", "transposed"),
    "weight_hh_l0": ("U", "Waa", "same", "Wh", "transposed"),
    "bias_ih_l0": ("b = b_ih + b_hh", "ba", "column", "b", "same"),
    "bias_hh_l0": ("(summed into b)", "—", "", "—", ""),
}


def _shape(shape: tuple[int, ...], layout: str) -> str:
    if layout == "transposed":
        shape = shape[::-1]
    elif layout == "column":
        shape = (*shape, 1)
    return str(tuple(shape)) if layout else ""


def main() -> None:
    rnn = torch.nn.RNN(input_size=I, hidden_size=H)
    print(f"torch.nn.RNN(input_size={I}, hidden_size={H}): the book's M = {I}, D = {H}\n")
    rows = []
    for name, param in rnn.named_parameters():
        book, dl, dl_layout, cs, cs_layout = CROSSWALK[name]
        shape = tuple(param.shape)
        rows.append((name, shape, book, f"{dl} {_shape(shape, dl_layout)}".strip(),
                     f"{cs} {_shape(shape, cs_layout)}".strip()))
    print(table(["PyTorch", "shape", "book", "deeplearning.ai", "CS231n"], rows))
    x = torch.zeros(5, 2, I)  # (T, B, I): time first
    out, h_n = rnn(x)
    print(f"\nx {tuple(x.shape)} = (T, B, I)  ->  output {tuple(out.shape)} = (T, B, H), every h_t")
    print(f"{'':>16}h_n {tuple(h_n.shape)} = (layers x directions, B, H), the last h_t")
