"""The course's own digit-sum protocol (nndl/practice-in-paddle ch. 6): SRN, LSTM and GRU, every seed."""

from __future__ import annotations

from functools import partial
from itertools import pairwise

from solutions.experiments import digit_sum_course as dc
from solutions.experiments import longrun
from solutions.publish.plotting import Style, accuracy_over_lengths, figure
from solutions.publish.report import Result, table

NAME = "digit-sum-course"
ORDER = {"lstm-above": "every LSTM seed above every SRN seed", "overlap": "the seeds overlap",
         "srn-above": "every SRN seed above every LSTM seed"}


def main() -> Result:
    runs = {(c["model"], c["L"], c["seed"]): r for c, r in longrun.records(NAME)}
    done = {(m, L) for m in dc.MODELS for L in dc.LENGTHS if all((m, L, s) in runs for s in dc.SEEDS)}
    lengths = [L for L in dc.LENGTHS if any((m, L) in done for m in dc.MODELS)]
    missing = [f"{m} at L = {L}" for L in dc.LENGTHS for m in dc.MODELS if (m, L) not in done]
    S = len(dc.SEEDS)
    n_steps = dc.EPOCHS * -(-300 // dc.BATCH)
    print("The course's protocol (practice-in-paddle, ch. 6, 数字求和): the 100 digit pairs, zeros to\n"
          "length L, one random digit at a position >= 2 in each copy; 300/100/100 train/dev/test\n"
          f"(the course's generator and seed). Embedding {dc.EMBED}, hidden {dc.HIDDEN}, Xavier-uniform init "
          "(biases too);\n"
          f"Adam lr {dc.LR:g}, batch {dc.BATCH}, {dc.EPOCHS} epochs ({n_steps} steps), no shuffling; dev accuracy "
          f"every {dc.EVAL_EVERY} steps,\nthe best-dev checkpoint scored on test. torch.nn.RNN/LSTM/GRU, "
          f"float32. {S} model seeds per cell (same data).")
    print(longrun.session_summary(NAME))
    if missing:
        print(f"Not run (the recorded run stopped before them): {', '.join(missing)}.")
    print(f"\nTest accuracy (%, of 100 sequences) of the best-dev checkpoint, seeds {', '.join(map(str, dc.SEEDS))};"
          " mean in brackets")
    rows, values, test = [], {}, {}
    for L in lengths:
        row = [f"L = {L}"]
        for m in dc.MODELS:
            if (m, L) not in done:
                row.append("not run")
                continue
            t = [runs[m, L, s]["test"] for s in dc.SEEDS]
            test[m, L] = t
            row.append(f"{' '.join(map(str, t))}  ({sum(t) / S:.1f})")
            values[f"{m.lower()}-{L}"] = f"{' / '.join(map(str, t))}%"
            values[f"{m.lower()}-{L}-min"] = f"{min(t)}%"
            values[f"{m.lower()}-{L}-max"] = f"{max(t)}%"
            values[f"{m.lower()}-{L}-mean"] = f"{sum(t) / S:.1f}%"
        rows.append(row)
    print(table(["length", *dc.MODELS], rows))
    print("\nBest dev accuracy (%) and the step it was reached at, per seed")
    rows = [[f"L = {L}", *((" ".join(f"{runs[m, L, s]['best_dev']}@{runs[m, L, s]['best_step']}" for s in dc.SEEDS)
                            if (m, L) in done else "not run") for m in dc.MODELS)] for L in lengths]
    print(table(["length", *dc.MODELS], rows))
    print("\nThe course's conclusion, the LSTM's accuracy far above the SRN's, per length: the seeds of\n"
          "the two models compared (one test sequence is one point; all seeds share one data set)")
    rows, order = [], {}
    for L in lengths:
        if ("LSTM", L) not in done or ("SRN", L) not in done:
            continue
        lstm, srn = test["LSTM", L], test["SRN", L]
        order[L] = "lstm-above" if min(lstm) > max(srn) else "srn-above" if min(srn) > max(lstm) else "overlap"
        rows.append([f"L = {L}", f"{(sum(lstm) - sum(srn)) / S:+.1f}", ORDER[order[L]]])
    print(table(["length", "LSTM − SRN, mean", "seeds"], rows))
    for key in ORDER:
        Ls = [str(L) for L in order if order[L] == key]
        values[f"lengths-{key}"] = f"L = {', '.join(Ls)}" if Ls else "–"
        values[f"lengths-{key}-count"] = str(len(Ls))   # the prose can say "at 0 of the lengths"
    values["lengths-compared"] = str(len(order))
    gru_order = {L: "lstm-above-gru" if min(test["LSTM", L]) > max(test["GRU", L])
                 else "gru-above-lstm" if min(test["GRU", L]) > max(test["LSTM", L]) else "lstm-gru-overlap"
                 for L in lengths if ("LSTM", L) in done and ("GRU", L) in done}
    words = {"lstm-above-gru": "every LSTM seed above every GRU seed", "lstm-gru-overlap": "the seeds overlap",
             "gru-above-lstm": "every GRU seed above every LSTM seed"}
    for key in words:
        Ls = [str(L) for L in gru_order if gru_order[L] == key]
        values[f"lengths-{key}"] = f"L = {', '.join(Ls)}" if Ls else "–"
    print("\nThe LSTM against the GRU (the course has no GRU run), per length where both were run:")
    print("".join(f"  {w}: {values[f'lengths-{k}']}\n" for k, w in words.items()), end="")
    for m in dc.MODELS:
        Ls = [L for L in dc.LENGTHS if (m, L) in done]
        values[f"{m.lower()}-lengths"] = f"L = {', '.join(map(str, Ls))}" if Ls else "–"
        values[f"{m.lower()}-means"] = " → ".join(f"{sum(test[m, L]) / S:.1f}% (L = {L})" for L in Ls) or "–"
        rises = [f"{a} → {b}" for a, b in pairwise(Ls) if sum(test[m, b]) > sum(test[m, a])]
        values[f"{m.lower()}-rises"] = f"L = {', '.join(rises)}" if rises else "–"
    print("\nWhere the mean test accuracy rises from one length to the next:")
    print("".join(f"  {m}: {values[f'{m.lower()}-rises']}\n" for m in dc.MODELS), end="")
    values["not-run"] = ", ".join(missing) or "–"
    values.update({"seeds": str(S), "steps": str(n_steps), "lr": f"{dc.LR:g}",
                   "lengths": ", ".join(map(str, lengths))})
    print("\nReplay (rerun by this demo; equal to the committed records):")
    print(longrun.verified_replay(NAME), end="")

    return Result(figures={"digit-sum-course.svg": partial(_draw, lengths, done, test, S)}, values=values)


def _draw(lengths: list[int], done: set, test: dict, S: int, s: Style):
    """Mean test accuracy per model against L (lines) and each model seed (dots)."""
    fig, ax = figure(height=3.8)
    for (m, marker, colour), off in zip(zip(dc.MODELS, "osD", ("blue", "orange", "green")), (-0.6, 0.0, 0.6)):
        xs = [L for L in lengths if (m, L) in done]
        ax.plot(xs, [sum(test[m, L]) / S for L in xs], marker=marker, color=s.c(colour), label=m)
        for L in xs:
            ax.plot([L + off] * S, test[m, L], marker, color=s.c(colour), markersize=3, alpha=0.5,
                    linestyle="none")
    accuracy_over_lengths(ax, s, lengths, s.t("sequence length L", "序列长度 L"))
    return fig
