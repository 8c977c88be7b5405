"""The ``tensorgen`` command line."""

import argparse

from ._version import __version__


def cmd_xor(args):
    import tensorgen as tg

    X, Y = tg.datasets.xor()
    net = tg.Network([2, 2, 1], activation="sigmoid", output_activation="sigmoid",
                     loss="mse", init=args.init, seed=args.seed)
    history = net.fit(X, Y, engine=args.engine, lr=args.lr, epochs=args.epochs, tol=args.tol)
    print(net)
    print(net.format_results(X, Y))
    return 0


def build_parser():
    fmt = argparse.ArgumentDefaultsHelpFormatter
    parser = argparse.ArgumentParser(prog="tensorgen", description=__doc__, formatter_class=fmt)
    parser.add_argument("--version", action="version", version=f"tensorgen {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    xor = sub.add_parser("xor", help="train the paper's 2-2-1 sigmoid network on XOR",
                         formatter_class=fmt)
    xor.add_argument("--seed", type=int, default=0, help="initialisation seed")
    xor.add_argument("--epochs", type=int, default=100_000, help="maximum epochs")
    xor.add_argument("--lr", type=float, default=1.0, help="learning rate")
    xor.add_argument("--tol", type=float, default=None,
                     help="stop early once the cost is below this")
    xor.add_argument("--engine", default="reverse", help="gradient engine")
    xor.add_argument("--init", default="uniform", help="initialisation (the paper's: uniform)")
    xor.set_defaults(run=cmd_xor)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, TypeError, FloatingPointError) as exc:
        parser.exit(2, f"tensorgen: error: {exc}\n")
