from members.models import Notice


def notices_for(user):
    return Notice.objects.filter(user=user).order_by("-created_at", "-id")
