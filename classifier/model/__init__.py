"""The model and everything pickled with it: spaCy preprocessing and the slur lexicon, TF-IDF features,
passages of long reports, the calibrated multi-label estimator, the pipeline that joins them, term
explanations, the predictor (`TensionModel`, `load_model`) and saving and loading model folders.
"""
