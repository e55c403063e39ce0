"""Timing tables: the NumPy kernels against PyTorch, and against their own GEMM floor.

``python -m bench`` (``make bench``, from the repository root) times one forward and one backward pass, with
every gradient, of each implementation of a model on the same float32 problem, on CPU, in one
process. The implementations take turns inside each round (interleaved, in an order that
rotates from round to round), so a slow spell of a shared machine hits all of them alike; each
one's time is the median over the rounds, and its spread the interquartile range over the
median. ``--write docs/benchmarks/rnn.txt`` also stores the tables. Timings are the one output
of this project that differs from machine to machine: the header names what they depend on
(CPU, BLAS and the kernel it picked, NumPy's SIMD level, PyTorch's CPU capability, the thread
policy), and no test compares them.

**The GEMM floor.** Outside their time loops, the kernels do one matrix product for the input
projections of all steps and one for each weight gradient; inside, one small product with
``U`` per step and direction. The same GEMM calls, with the same shapes, timed alone in the
same library are the *floor*: the time a pass cannot beat without faster matrix products.
``floor/time`` is how much of the implementation's time that is (100 % = nothing but GEMMs).
Ratios against PyTorch move with the CPU and its BLAS kernels; the floor fraction travels.

**Thread policy.** ``thr = n`` gives the library being timed ``n`` threads and the other one
thread: ``torch.set_num_threads`` for PyTorch (its OpenMP pool and MKL), ``threadpoolctl`` for
NumPy's BLAS, switched before each implementation's untimed warm-up pass (the library of an
implementation is PyTorch when its name starts with ``torch``). With default settings two
pools in one process fight: PyTorch's OpenMP workers spin for a while after every parallel
call (libgomp's default wait policy), OpenBLAS's workers yield-spin after theirs, and either
takes the second core from the other library's next call. With the other library at one
thread it has no workers to wake, and the warm-up pass outlasts the spin of the previous turn;
each library keeps its own default wait policy, as its users have it
(``--omp-wait-policy PASSIVE`` or ``ACTIVE`` overrides libgomp's for a comparison). The
benchmark runs in a child process started without any variable that forces a CPU code path
(``OPENBLAS_CORETYPE``, ``ATEN_CPU_CAPABILITY``, ``NPY_DISABLE_CPU_FEATURES``, ``MKL_CBWR``, ...),
so that each library runs with its own kernel choice; the header lists what was removed.
``--keep-env`` keeps them (and the header names them). On a busy machine a two-thread row is
noise whatever the policy: a thread waits at every parallel call for a thread that the
operating system has paused. The header's load average and the spread column show it.

The parts: ``problems`` (the seeded inputs), ``implementations`` (what is timed: NumPy, PyTorch,
the GEMM floors), ``suites`` (one table per model), ``timing`` (threads and interleaved rounds),
``environment`` (the machine and the CPU variables), ``render`` (the header and the tables),
``__main__`` (the command line). This folder is not part of the ``solutions`` package.

To add an implementation, add an entry to a suite's ``implementations``: a name and a function
that takes a ``Problem`` and returns a no-argument callable doing one
forward and one backward pass, including every gradient (``x``, ``h0`` and the parameters).
"""
