"""数园区 scenario-opening partner marketplace.

Government departments of the Suzhou Industrial Park open scenarios; member companies of the
park's big-data association propose solutions; bureau staff evaluate and select partners. Each
subpackage owns one domain of that lifecycle; ``app.py`` wires them into one Litestar app.
"""
