from . import grade, pgcopy, secrets, sim
