from . import grade, secrets, sim
