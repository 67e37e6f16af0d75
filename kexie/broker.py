"""The Redis broker transport the workers use: kombu's, made to survive a broker outage.

Celery 5.7 closes the broker connection after collect() has already detached it from its transport. Closing
the channel then tries to put the unacknowledged messages back through a transport with no connection
details, raises AttributeError, and the worker process exits while it holds messages (seen when Redis
stops while a worker has a task running or an ETA task waiting). Here that case raises the transport's own
connection error instead, which kombu ignores during cleanup, so the worker reconnects with backoff. Messages
it could not put back stay in Redis's unacked set and are redelivered after the visibility timeout; the
database status rows cover messages Redis itself lost.
"""

from kombu.transport import redis
from redis import exceptions as redis_exceptions


class Channel(redis.Channel):
    def _connparams(self, asynchronous=False):
        if self.connection.client is None:
            raise redis_exceptions.ConnectionError("broker connection already released")
        return super()._connparams(asynchronous)


class Transport(redis.Transport):
    Channel = Channel
