"""Two threads (``n_jobs=2``) against one, judged by time to accuracy.

On this network the threads share each pass of the block kernel (a crew, the same
steps as one thread); the file keeps its name from when they ran Hogwild!.

Trains workload C's network (784-128-10, logistic units) on MNIST-shaped data with
``n_jobs=1`` and ``n_jobs=2``, one ``partial_fit`` epoch at a time, prints each
epoch's test accuracy and cumulative training time, how much sooner two threads
reach the accuracy the serial fit had after 3 and 5 epochs, and draws accuracy
against seconds into the file given as the first argument (default
``hogwild_time_to_accuracy.png``). ``python -m fastbp bench --scale`` runs the
same comparison over several seeds.

Needs matplotlib (``pip install "fastbp[plot]"``).
"""

import sys
import warnings

import matplotlib

matplotlib.use("Agg")
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from fastbp import plot
from fastbp._bench.accuracy import curve_line, hogwild_curves, speedups_to_accuracy

warnings.simplefilter("ignore", ConvergenceWarning)
target = sys.argv[1] if len(sys.argv) > 1 else "hogwild_time_to_accuracy.png"

with threadpool_limits(1):  # only the threads being compared use the second core
    curves = hogwild_curves(seed=0)
print("test accuracy (cumulative training seconds) after each epoch")
for name, curve in curves.items():
    print(f"{name}: {curve_line(curve)}")
for epochs, speedup in speedups_to_accuracy(curves).items():
    never = f"not within {len(curves['n_jobs=2'][0])} epochs"
    reached = f"{speedup:.2f}x sooner" if speedup else never
    print(f"n_jobs=2 reached the serial accuracy after {epochs} epochs: {reached}")

figure = plot.time_to_accuracy(curves)
figure.axes[0].set_title(
    "n_jobs=2 vs 1, 784-128-10 on MNIST-shaped data, one epoch per point"
)
figure.savefig(target, dpi=110)
print(f"wrote {target}")
