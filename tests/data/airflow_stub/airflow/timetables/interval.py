"""Stand-in for airflow.timetables.interval: the cron timetable with data intervals."""


class CronDataIntervalTimetable:
    def __init__(self, cron, timezone):
        if not isinstance(cron, str) or len(cron.split()) not in (1, 5):
            raise ValueError("cron must be a 5-field expression or a preset: %r" % (cron,))
        self.cron = cron
        self.timezone = timezone
