"""A job's folder name (hydra.sweep.subdir) stays a legal file name however many trials it holds."""

from sweeps.stages.trials import job_name


def test_a_job_names_its_trials_as_a_range_or_a_list():
    assert job_name([7]) == "7"
    assert job_name([4, 5, 6]) == "4-6"
    assert job_name([0, 3, 6]) == "0_3_6"


def test_a_population_of_scattered_trials_gets_a_short_unique_name():
    # 256 members of a noisy-quadratic population left after pruning and re-queueing: their
    # numbers listed are ~1,000 bytes, past the 255 a file name may have (OSError: File name too long)
    numbers = list(range(0, 1024, 4))
    name = job_name(numbers)
    assert len(name.encode()) <= 120 and name.startswith("0-1020_256_")
    other = job_name(numbers[:-1] + [1021])
    assert other != name and other.startswith("0-1021_256_")
    assert job_name(list(numbers)) == name   # the same members: the same folder (a resumed job)
