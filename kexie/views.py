def server_error(request):
    """handler500: a database or disk outage is a temporary condition, so it answers 503 with a clear message.

    The page is rendered without the request context: the context processors read the database.
    """
    import errno
    import sys

    from django.db import InterfaceError, OperationalError
    from django.http import HttpResponse, HttpResponseServerError
    from django.template import loader

    exc = sys.exc_info()[1]
    if isinstance(exc, (OperationalError, InterfaceError)):
        reason = "database"
    elif isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        reason = "disk"
    else:
        return HttpResponseServerError(loader.get_template("500.html").render())
    response = HttpResponse(loader.get_template("503.html").render({"reason": reason}), status=503)
    # Outages here last seconds to minutes (a database restart, a disk being cleaned).
    response["Retry-After"] = "30"
    return response
