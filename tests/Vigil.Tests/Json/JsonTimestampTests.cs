using Vigil.Readers.Json;

namespace Vigil.Tests.Json;

public class JsonTimestampTests
{
    private static long Ticks(int y, int mo, int d, int h, int mi, int s, int ms = 0) =>
        new DateTime(y, mo, d, h, mi, s, ms, DateTimeKind.Utc).Ticks;

    private static EventSnap ReadOne(string json)
    {
        using var dir = new TempDir();
        var r = JsonTestSupport.ReadAll(dir.File("t.json", json + "\n"));
        Assert.Empty(r.Errors);
        return Assert.Single(r.Events);
    }

    [Theory]
    [InlineData("{\"TimeCreated\":\"2020-10-19 12:28:44.333\"}", 2020, 10, 19, 12, 28, 44, 333)]     // OTRF form, taken as UTC
    [InlineData("{\"@timestamp\":\"2021-03-04T05:06:07.123Z\"}", 2021, 3, 4, 5, 6, 7, 123)]
    [InlineData("{\"UtcTime\":\"2021-03-04 05:06:07.123\"}", 2021, 3, 4, 5, 6, 7, 123)]            // Sysmon
    [InlineData("{\"eventTime\":\"2020-09-14T00:44:23Z\"}", 2020, 9, 14, 0, 44, 23, 0)]             // CloudTrail
    [InlineData("{\"timestamp\":\"2021-03-04T07:06:07.123+02:00\"}", 2021, 3, 4, 5, 6, 7, 123)]     // offset
    [InlineData("{\"time\":\"2021-03-04T00:06:07.123-0500\"}", 2021, 3, 4, 5, 6, 7, 123)]
    [InlineData("{\"ts\":1591367999}", 2020, 6, 5, 14, 39, 59, 0)]                                 // epoch seconds
    [InlineData("{\"ts\":1591367999.5}", 2020, 6, 5, 14, 39, 59, 500)]
    [InlineData("{\"ts\":1591367999500}", 2020, 6, 5, 14, 39, 59, 500)]                            // epoch ms
    [InlineData("{\"ts\":\"1591367999.25\"}", 2020, 6, 5, 14, 39, 59, 250)]
    [InlineData("{\"ts\":\"2020-06-05T14:39:59Z\"}", 2020, 6, 5, 14, 39, 59, 0)]
    public void WellKnownTimeFieldsAreParsed(string json, int y, int mo, int d, int h, int mi, int s, int ms)
    {
        Assert.Equal(Ticks(y, mo, d, h, mi, s, ms), ReadOne(json).TimestampTicks);
    }

    [Fact]
    public void PriorityOrderAndUnparseableFallThrough()
    {
        // @timestamp wins over TimeCreated, wherever it appears in the object.
        Assert.Equal(Ticks(2021, 1, 1, 0, 0, 0),
            ReadOne("{\"TimeCreated\":\"2020-01-01 00:00:00.000\",\"@timestamp\":\"2021-01-01T00:00:00Z\"}").TimestampTicks);
        // An unparseable candidate gives way to the next one.
        Assert.Equal(Ticks(2020, 1, 1, 0, 0, 0),
            ReadOne("{\"@timestamp\":\"yesterday\",\"TimeCreated\":\"2020-01-01 00:00:00.000\"}").TimestampTicks);
        Assert.Equal(0, ReadOne("{\"when\":\"2020-01-01T00:00:00Z\"}").TimestampTicks);
        Assert.Equal(0, ReadOne("{\"time\":null}").TimestampTicks);
        Assert.Equal(0, ReadOne("{\"time\":\"2020-13-45T00:00:00Z\"}").TimestampTicks);
        // A time of day without a date must not pick up today's date.
        Assert.Equal(0, ReadOne("{\"time\":\"12:28:44\"}").TimestampTicks);
        Assert.Equal(Ticks(2020, 10, 19, 12, 28, 44), ReadOne("{\"time\":\"Mon, 19 Oct 2020 12:28:44 GMT\"}").TimestampTicks);
    }

    [Fact]
    public void FractionDigitsBeyondTicksAreDropped()
    {
        Assert.True(JsonTimestamps.TryParseText("2020-10-19T12:28:44.123456789Z", out long t));
        Assert.Equal(Ticks(2020, 10, 19, 12, 28, 44) + 1234567, t);
        Assert.True(JsonTimestamps.TryParseText("2020-10-19T12:28Z", out t));
        Assert.Equal(Ticks(2020, 10, 19, 12, 28, 0), t);
    }

    [Fact]
    public void OtrfEventsAllGetTheirTimestamp()
    {
        foreach (var file in JsonTestSupport.OtrfFiles())
        {
            var r = JsonTestSupport.ReadAll(file);
            foreach (var e in r.Events)
            {
                Assert.True(e.TimestampTicks > Ticks(2015, 1, 1, 0, 0, 0) && e.TimestampTicks < Ticks(2030, 1, 1, 0, 0, 0),
                    $"{e.Origin}: timestamp {e.TimestampTicks}");
                // Where @timestamp exists it is the one used.
                if (e.Get("@timestamp") is { } at)
                    Assert.Equal(DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture).UtcTicks, e.TimestampTicks);
            }
        }
    }
}
