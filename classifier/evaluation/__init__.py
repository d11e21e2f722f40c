"""Scoring models on labelled data: per-label metrics (`metrics`), one model on one file (`evaluate`), two
models side by side (`compare`)."""
