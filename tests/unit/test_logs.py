"""The log writer: every record written, in order, a burst's records in few writes."""

import io
import logging
import queue
import threading

from bot.logs import FORMAT, BatchedWriter


class CountingStream(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


def record(msg: str, *args: object) -> logging.LogRecord:
    return logging.makeLogRecord({"name": "t", "levelname": "INFO", "levelno": logging.INFO, "msg": msg, "args": args})


def test_every_record_is_written_in_order_and_a_burst_shares_writes() -> None:
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    stream = CountingStream()
    writer = BatchedWriter(records, stream, logging.Formatter(FORMAT), gather_seconds=0.05).start()

    def burst(t: int) -> None:
        for i in range(50):
            records.put(record("event=command thread=%d n=%d", t, i))

    threads = [threading.Thread(target=burst, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    writer.stop()  # writes what is queued before it returns
    lines = stream.getvalue().splitlines()
    assert len(lines) == 400
    for t in range(8):
        mine = [line.split("n=")[1] for line in lines if f"thread={t} " in line]
        assert mine == [str(i) for i in range(50)]  # each thread's lines in its own order
    assert all(" INFO t event=command" in line for line in lines)
    assert stream.writes < 40  # 400 lines, gathered: not one write each


def test_a_record_that_cannot_be_formatted_does_not_lose_the_others() -> None:
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    stream = CountingStream()
    writer = BatchedWriter(records, stream, logging.Formatter(FORMAT), gather_seconds=0.01).start()
    records.put(record("before"))
    records.put(record("needs %d numbers %d", 1))  # too few arguments
    records.put(record("after"))
    writer.stop()
    lines = stream.getvalue().splitlines()
    assert [line.rsplit(" ", 1)[-1] for line in lines] == ["before", "t)", "after"]
