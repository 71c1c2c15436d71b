"""On-request anonymized summaries of this device's usage, and the team merge of many of them."""
