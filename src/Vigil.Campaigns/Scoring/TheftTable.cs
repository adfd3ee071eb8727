using System.Collections;
using Vigil.Campaigns.Entities;
using Vigil.IO;

namespace Vigil.Campaigns.Scoring;

/// <summary>
/// A campaign's theft steps as rows, from the theft finder until the campaign store has written them: what a list of
/// <see cref="DataTheft"/> sorted by time (stably) gives, step for step and id for id.
/// <para>
/// An upload to 100,000 endpoints is 100,000 steps. As objects, each with its texts and its own list of detection ids,
/// they were ~900 bytes a step, held with the campaign until it was written (468 MB peak). Here a step is a row (its
/// texts as ids of a <see cref="TextTable"/>, its detection ids a range of one list), and rows, texts and ids stay in memory
/// only up to their lists' budgets (<see cref="BuildLimits.List{T}"/>), then go to files.
/// </para>
/// <para>
/// Filled in two phases. While the finder works, steps are added in the order found (<see cref="Add"/>, and
/// <see cref="AddUpload"/> for uploads whose ids come later through <see cref="AddUploadId"/>). <see cref="Seal"/> then drops
/// each step equal to an earlier one in kind, host, detail and destination (by a 128-bit hash of the four: an upload's flow
/// seen from two addresses of one host is one step), and sorts the others by (time, order found); from then on the table is read-only and reads each step as a new object (its ids a view of
/// the table's list: dispose the table after the last read). Not thread-safe.
/// </para>
/// </summary>
internal sealed class TheftTable : IReadOnlyList<DataTheft>, IDisposable
{
    private struct Row
    {
        public long Ticks, Bytes;
        public int IdsAt, Seq, Host, Kind, Detail, Destination, IdsCount;
        /// <summary>The upload's number (its ids come later), or -1.</summary>
        public int Upload;

        public static int ByTime(Row a, Row b) => a.Ticks != b.Ticks ? a.Ticks.CompareTo(b.Ticks) : a.Seq.CompareTo(b.Seq);
    }

    private readonly BuildLimits _limits;
    // Made on the first step: most campaigns have none.
    private TextTable? _texts;
    private SpillList<Row>? _added, _rows;
    private SpillList<long>? _ids;
    /// <summary>Per upload given ids, where they start and how many, sorted by upload at <see cref="Seal"/> to meet the rows
    /// in the order found (uploads are numbered in that order). Not a list by upload: ids come by destination, and an
    /// upload to each of 1M endpoints made that a random write into a file per upload.</summary>
    private ExternalSorter<(int Upload, int At, int Count)>? _ranges;
    /// <summary>Uploads made, and a bit per upload: its ids have come (they may not come again).</summary>
    private int _uploadCount;
    private readonly List<ulong> _started = [];
    /// <summary>Each step's hash of what tells it apart, with its order found (a set of them was ~40 bytes a step).</summary>
    private ExternalSorter<(UInt128 Key, int Seq)>? _keys;
    private int _open = -1, _openCount;
    private int _openAt;
    private bool _sealed;

    public TheftTable(BuildLimits limits) => _limits = limits;

    public int Count => _sealed ? _rows?.Count ?? 0 : throw new InvalidOperationException("the theft steps are not sealed yet");

    public DataTheft this[int index]
    {
        get
        {
            if (!_sealed) throw new InvalidOperationException("the theft steps are not sealed yet");
            if (_rows is null) throw new ArgumentOutOfRangeException(nameof(index), index, "no theft steps");
            var r = _rows[index];
            IReadOnlyList<long> ids = r.IdsCount == 0 ? [] : _ids!.Slice(r.IdsAt, r.IdsCount);
            var t = _texts!;
            return new DataTheft(CampaignBuilder.Time(r.Ticks), t[r.Host], t[r.Kind], t[r.Detail], r.Bytes, t[r.Destination], ids);
        }
    }

    /// <summary>Adds a step with its detection ids (ascending).</summary>
    public void Add(long ticks, string host, string kind, string detail, long bytes, string destination, IEnumerable<long> ids)
    {
        var row = NewRow(ticks, host, kind, detail, bytes, destination);
        row.IdsAt = _ids!.Count;
        foreach (long id in ids) _ids.Add(id);
        row.IdsCount = _ids.Count - row.IdsAt;
        _added!.Add(row);
    }

    /// <summary>Adds an upload whose detection ids come later (<see cref="AddUploadId"/>); returns its number.</summary>
    public int AddUpload(long ticks, string host, string detail, long bytes, string destination)
    {
        var row = NewRow(ticks, host, "upload", detail, bytes, destination);
        row.Upload = _uploadCount++;
        if ((row.Upload & 63) == 0) _started.Add(0);
        _added!.Add(row);
        return row.Upload;
    }

    /// <summary>An id of upload <paramref name="upload"/> (ascending): an upload's ids come one after another, not mixed with
    /// another's.</summary>
    public void AddUploadId(int upload, long id)
    {
        if ((uint)upload >= (uint)_uploadCount) throw new ArgumentOutOfRangeException(nameof(upload), upload, "no such upload");
        if (_sealed) throw new InvalidOperationException("the theft steps are sealed");
        if (upload != _open)
        {
            Close();
            ulong bit = 1UL << (upload & 63);
            if ((_started[upload >> 6] & bit) != 0) throw new InvalidOperationException($"upload {upload}'s ids came in two parts");
            _started[upload >> 6] |= bit;
            (_open, _openAt, _openCount) = (upload, _ids!.Count, 0);
        }
        _ids!.Add(id);
        _openCount++;
    }

    private void Close()
    {
        if (_open >= 0) _ranges!.Add((_open, _openAt, _openCount));
        _open = -1;
    }

    private Row NewRow(long ticks, string host, string kind, string detail, long bytes, string destination)
    {
        if (_sealed) throw new InvalidOperationException("the theft steps are sealed");
        if (_texts is null)
        {
            _texts = _limits.KeyTexts("campaign-theft", _limits.KeyTextChars / 4);
            _added = _limits.List<Row>("campaign theft steps found", walked: true);
            _ids = _limits.List<long>("campaign theft detection ids", walked: true);
            _ranges = new ExternalSorter<(int, int, int)>("theft-upload-ranges", (a, b) => a.Item1.CompareTo(b.Item1), _limits.RunRows);
            _keys = new ExternalSorter<(UInt128, int)>("theft-step-keys", (a, b) => a.CompareTo(b), _limits.RunRows);
        }
        _keys!.Add((TextHash.Of(kind, host, detail, destination), _added!.Count));
        return new Row
        {
            Ticks = ticks, Bytes = bytes, Seq = _added!.Count, Host = _texts.Id(host), Kind = _texts.Id(kind), Detail = _texts.Id(detail),
            Destination = _texts.Id(destination), Upload = -1,
        };
    }

    /// <summary>Orders the steps by time (then the order found) and makes the table readable.</summary>
    public TheftTable Seal()
    {
        if (_sealed) return this;
        _sealed = true;
        if (_added is null) return this;
        Close();
        // The steps equal to an earlier one (the keys come by hash, then order found: the first of each is kept).
        using var dropped = _limits.Table<byte>("campaign theft steps dropped", _added.Count, 0);
        bool any = false;
        UInt128 last = default;
        foreach (var (key, seq) in _keys!.Sorted())
        {
            if (any && key == last) dropped[seq] = 1;
            (any, last) = (true, key);
        }
        _keys.Dispose();
        _keys = null;
        // The rows in the order found meet the uploads' id ranges in upload order (an upload without ids has none).
        using var sorter = new ExternalSorter<Row>("theft-steps", Row.ByTime, _limits.RunRows);
        using (var ranges = _ranges!.Sorted().GetEnumerator())
        {
            bool more = ranges.MoveNext();
            foreach (var row in _added)
            {
                var r = row;
                if (r.Upload >= 0)
                {
                    for (; more && ranges.Current.Upload < r.Upload; more = ranges.MoveNext()) { }
                    if (more && ranges.Current.Upload == r.Upload) (r.IdsAt, r.IdsCount) = (ranges.Current.At, ranges.Current.Count);
                }
                if (dropped[r.Seq] == 0) sorter.Add(r);
            }
        }
        _ranges.Dispose();
        _ranges = null;
        _added.Dispose();
        _added = null;
        _rows = _limits.List<Row>("campaign theft steps", walked: true);
        foreach (var row in sorter.Sorted()) _rows.Add(row);
        return this;
    }

    public IEnumerator<DataTheft> GetEnumerator()
    {
        for (int i = 0; i < Count; i++) yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public void Dispose()
    {
        _texts?.Dispose();
        _added?.Dispose();
        _rows?.Dispose();
        _ids?.Dispose();
        _ranges?.Dispose();
        _keys?.Dispose();
    }
}
