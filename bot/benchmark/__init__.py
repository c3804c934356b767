"""Speed and load benchmark: `python -m bot bench load`.

Drives simulated conversations through Rasa's REST channel at several levels of concurrency, against the
project's full stack and against a stock `rasa init` assistant, and reports latency, throughput, errors
and peak memory. The parts: `conversations` (what is said), `driver` (the aiohttp load driver), `stats`
(percentiles and summaries), `memory` (RSS sampling), `stacks` (starting both assistants), `content_live`
(how fast an edited content file shows), `report` (table, JSON, targets) and `run` (the order of it all).
"""
