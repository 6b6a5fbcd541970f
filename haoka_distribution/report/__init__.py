from . import haoka_distribution_report
