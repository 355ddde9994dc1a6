"""The one passenger every measurement of the benchmark sends or scores."""

PASSENGER = {
    "pclass": 1,
    "sex": "female",
    "age": 29.0,
    "sibsp": 0,
    "parch": 0,
    "fare": 80.0,
    "embarked": "C",
}
