from django.db import models


class Widget(models.Model):
    """Something a test view creates, to see how often a request really ran."""

    name = models.CharField(max_length=20)

    def __str__(self) -> str:
        return self.name
