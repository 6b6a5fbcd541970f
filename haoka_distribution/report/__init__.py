# isort: skip_file
# The funnel view reads the report view: the report model must be initialised first.
from . import haoka_distribution_report
from . import haoka_distribution_funnel
from . import haoka_distribution_dashboard
from . import haoka_finance_analysis
from . import haoka_business_report  # inherits the analysis
from . import haoka_wallet_statement
