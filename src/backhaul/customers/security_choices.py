"""The security questions a customer may answer, for checking who is calling."""

from django.db import models


class SecurityPrompt(models.TextChoices):
    FIRST_SCHOOL = "first-school", "The name of your first school"
    FIRST_PET = "first-pet", "The name of your first pet"
    BIRTH_TOWN = "birth-town", "The town where you were born"
    FIRST_CAR = "first-car", "The make of your first car"
    MEMORABLE_PLACE = "memorable-place", "A memorable place"
    MEMORABLE_WORD = "memorable-word", "A memorable word"
