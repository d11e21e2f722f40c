"""The retraining workflow: audit labels (`audit`), choose reports to label next (`suggest`), and keep,
promote and roll back trained models (`registry`)."""
