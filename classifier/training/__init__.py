"""Training the model and checking the recipe: labelled-data checks (`validate`), counterfactual copies
(`augment`), training and saving (`train`), cross-validation and learning curves (`cv`)."""
