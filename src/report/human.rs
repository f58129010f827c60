//! Human output: miette's graphical reports.
