using System.Buffers;
using System.Buffers.Binary;
using System.Collections;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Vigil.Campaigns.Entities;
using Vigil.Campaigns.Operator;
using Vigil.IO;

namespace Vigil.Campaigns.Output;

/// <summary>
/// The ranked campaigns of a build, kept in a temporary file instead of as objects: each campaign is written as it is
/// built (binary, strings as their UTF-16 code units so any text, lone surrogates included, comes back exactly) and read
/// back when an output asks for it, in rank order, with its id ("C1", "C2", ... by rank) set then.
/// <para>
/// Memory: bounded whatever the number or size of the campaigns. A long day keeps ~25,000 campaigns, ~70 MB as objects,
/// which every output (campaign JSON, report, SQLite, the table) walks once in rank order; each walk reads the file
/// sequentially through the page cache. Each campaign also has an entry (its rank keys, its place in the file and its
/// sections' sizes, 136 bytes): entries go through an external sort by rank (<see cref="ExternalSorter{T}"/>) and are
/// read back in rank order from a list in memory up to <see cref="MemoryEntries"/>, then in a file. A fleet's day with
/// a campaign per host for 1M hosts had 104 MB of entries in an array, twice that while it was ranked.
/// </para>
/// <para>
/// The list is read-only once <see cref="Rank"/> ran; each read returns a fresh <see cref="Campaign"/> equal to the one
/// added. The file is deleted when the store is disposed (on Unix it has no name at all once created, so nothing is left
/// behind even if the process dies).
/// </para>
/// </summary>
public sealed class CampaignStore : IReadOnlyList<Campaign>, IDisposable
{
    private readonly FileStream _file;
    private readonly SafeFileHandle _handle;
    private readonly ArrayBufferWriter<byte> _buffer = new(1 << 14);
    /// <summary>Entries as added, sorted by rank when <see cref="Rank"/> runs.</summary>
    private ExternalSorter<Entry>? _adding;
    /// <summary>Entries in rank order, once ranked.</summary>
    private SpillList<Entry>? _ranked;
    private int _count;
    private long _length;

    /// <summary>Entries kept in memory once ranked; the rest are read from a file. Tests lower it.</summary>
    internal int MemoryEntries { get; init; } = 1 << 16;
    /// <summary>Entries per sorted run of the rank sort. Tests lower it.</summary>
    internal int RankRunRows { get; init; } = 1 << 16;

    private struct Entry
    {
        public double Score;
        public long First;
        public long FirstId;
        /// <summary>The order added: the last rank key.</summary>
        public int Seq;
        /// <summary>The campaign without its detection ids, steps, accounts and addresses: Length bytes at Offset; then its
        /// ids, 8 bytes each; then its steps, accounts, internal and external addresses, hosts, links and theft steps, each a
        /// section of records (the last two each followed by the id lists too long to be in their records).</summary>
        public long Offset;
        public int Length;
        public int IdCount;
        public Section Steps, Users, Internal, External, Hosts, Links, Theft;

        /// <summary>Rank order: higher score first, then the earlier first time, then the smaller first detection id, then
        /// the order added.</summary>
        public static int Compare(Entry a, Entry b)
        {
            int c = b.Score.CompareTo(a.Score);
            if (c == 0) c = a.First.CompareTo(b.First);
            if (c == 0) c = a.FirstId.CompareTo(b.FirstId);
            return c != 0 ? c : a.Seq.CompareTo(b.Seq);
        }
    }

    /// <summary>A list written as records (each its length and its bytes): how many, and their bytes; then the detection id
    /// lists of its records that were too long to be in them (<see cref="BigIds"/>), IdBytes bytes.</summary>
    private struct Section
    {
        public int Count;
        public long Bytes, IdBytes;

        public readonly long Total => Bytes + IdBytes;
    }

    /// <summary>
    /// The detection id lists of a section's records longer than <see cref="LazyIdsAbove"/>: a record holds such a list's
    /// count and its offset among them, and they are written after the section's records, read back as they are walked
    /// (<see cref="IdList"/>). An upload in millions of pieces is one theft step with millions of ids: in its record they
    /// made one read buffer and one list of that size, each time the campaign was read.
    /// </summary>
    private sealed class BigIds(int above)
    {
        public readonly int Above = above;
        public readonly List<IReadOnlyList<long>> Lists = [];
        public long Bytes;
    }

    /// <summary>Where a section's long id lists are, for its records' reader.</summary>
    private sealed record IdRegion(CampaignStore Store, int Campaign, long At, long Bytes, int Above);

    private delegate void WriteItem<T>(ref Writer w, T item);
    private delegate T ReadItem<T>(ref Reader r);

    /// <summary>Campaigns with more steps (or links) than this get them as a list read from the file as it is walked
    /// (<see cref="SectionList{T}"/>) instead of as objects: one campaign of a long day can have 100,000s of steps (a 6M-event
    /// day: 130,000 steps, 57 MB of JSON), which as objects and as one read buffer cost 100s of MB; an actor moving to 1M
    /// hosts has 1M links and 1M hosts, which were read as objects from one record of ~150 MB. Tests lower it.</summary>
    internal int LazyStepsAbove { get; init; } = 2_000;

    public CampaignStore()
    {
        _file = TempFile.Create(TempFile.NewPath("vigil-campaigns-"), 1 << 16);
        _handle = _file.SafeFileHandle;
    }

    /// <summary>Adds a built campaign (its Id is ignored: ids come from the rank) with its rank keys: higher score first,
    /// then the earlier first time, then the smaller first detection id, then the order added.</summary>
    public void Add(Campaign c, double score, long first, long firstId)
    {
        if (_ranked is not null) throw new InvalidOperationException("the campaigns are already ranked");
        _buffer.ResetWrittenCount();
        var w = new Writer(_buffer);
        Write(ref w, c);
        var bytes = _buffer.WrittenSpan;
        _file.Write(bytes);
        int length = bytes.Length;
        // The detection ids follow, 8 bytes each (a campaign of an agent's day has millions).
        long idBytes = WriteIds(c.DetectionIds);
        int idCount = c.DetectionIds.Count;
        if (idBytes != 8L * idCount) throw new InvalidOperationException($"campaign store: the campaign's {idCount} detection ids gave {idBytes} bytes");
        // The steps, accounts and addresses follow, each item as its length and its bytes, written out every 64 KB: the
        // buffer stays small however many a campaign has (an agent's day: 100,000s of steps; a brute force: millions of
        // addresses).
        var steps = WriteSection(c.Steps, WriteStep);
        var users = WriteSection(c.Users, WriteText);
        var intern = WriteSection(c.InternalAddresses, WriteText);
        var ext = WriteSection(c.ExternalAddresses, WriteText);
        var hosts = WriteSection(c.Hosts, WriteText);
        var links = WriteSection(c.Links, WriteLink, ids: true);
        var theft = WriteSection(c.Theft, WriteTheft, ids: true);
        (_adding ??= new ExternalSorter<Entry>("campaign-ranks", Entry.Compare, RankRunRows)).Add(new Entry
        {
            Score = score, First = first, FirstId = firstId, Seq = _count++, Offset = _length, Length = length, IdCount = idCount,
            Steps = steps, Users = users, Internal = intern, External = ext, Hosts = hosts, Links = links, Theft = theft,
        });
        _length += length + idBytes + steps.Total + users.Total + intern.Total + ext.Total + hosts.Total + links.Total + theft.Total;
    }

    private static void WriteText(ref Writer w, string text) => w.String(text);

    private static string ReadText(ref Reader r) => r.String();

    /// <summary>Appends <paramref name="items"/> to the file as records; with <paramref name="ids"/>, then the id lists too long
    /// for them (see <see cref="BigIds"/>).</summary>
    private Section WriteSection<T>(IEnumerable<T> items, WriteItem<T> write, bool ids = false)
    {
        _buffer.ResetWrittenCount();
        long bytes = 0;
        int count = 0;
        var big = ids ? new BigIds(LazyIdsAbove) : null;
        foreach (var item in items)
        {
            int at = _buffer.WrittenCount;
            var w = new Writer(_buffer, big);
            w.Int(0);
            write(ref w, item);
            BinaryPrimitives.WriteInt32LittleEndian(MemoryMarshal.AsMemory(_buffer.WrittenMemory).Span[at..], _buffer.WrittenCount - at - 4);
            count++;
            Flush(ref bytes, all: false);
        }
        Flush(ref bytes, all: true);
        long idBytes = 0;
        if (big is not null)
            foreach (var list in big.Lists) idBytes += WriteIds(list);
        if (idBytes != (big?.Bytes ?? 0)) throw new InvalidOperationException($"campaign store: a section's long id lists gave {idBytes} bytes, their counts {big?.Bytes}");
        return new Section { Count = count, Bytes = bytes, IdBytes = idBytes };
    }

    /// <summary>Writes the buffer to the file once it holds 64 KB (or whatever it holds, with <paramref name="all"/>), adding
    /// its length to <paramref name="bytes"/>.</summary>
    private void Flush(ref long bytes, bool all)
    {
        if (!all && _buffer.WrittenCount < 1 << 16) return;
        _file.Write(_buffer.WrittenSpan);
        bytes += _buffer.WrittenCount;
        _buffer.ResetWrittenCount();
    }

    /// <summary>Appends ids to the file, 8 bytes each, written out every 64 KB.</summary>
    private long WriteIds(IEnumerable<long> ids)
    {
        _buffer.ResetWrittenCount();
        long bytes = 0;
        foreach (long id in ids)
        {
            BinaryPrimitives.WriteInt64LittleEndian(_buffer.GetSpan(8), id);
            _buffer.Advance(8);
            Flush(ref bytes, all: false);
        }
        Flush(ref bytes, all: true);
        return bytes;
    }

    /// <summary>Fixes the rank order; the store is readable from then on.</summary>
    public CampaignStore Rank()
    {
        if (_ranked is not null) return this;
        _file.Flush();
        var ranked = new SpillList<Entry>("campaign-entries", MemoryEntries, Math.Min(_count, MemoryEntries), pageRows: 256, cachePages: 16);
        if (_adding is not null)
        {
            foreach (var e in _adding.Sorted()) ranked.Add(e);
            _adding.Dispose();
            _adding = null;
        }
        _ranked = ranked;
        return this;
    }

    public int Count => _count;

    /// <summary>Bytes of campaign data in the file.</summary>
    public long FileLength => _length;

    public Campaign this[int index]
    {
        get
        {
            if (_ranked is null) throw new InvalidOperationException("the campaigns are not ranked yet");
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _count);
            var e = _ranked[index];
            var rent = ArrayPool<byte>.Shared.Rent(e.Length);
            try
            {
                var span = rent.AsSpan(0, e.Length);
                int read = FileReads.ReadFully(_handle, span, e.Offset);
                if (read < span.Length) throw new IOException($"campaign store: the temporary file ended at byte {e.Offset + read} inside campaign {index + 1}");
                var r = new Reader(span);
                long idsAt = e.Offset + e.Length, stepsAt = idsAt + 8L * e.IdCount;
                long usersAt = stepsAt + e.Steps.Total, internalAt = usersAt + e.Users.Total, externalAt = internalAt + e.Internal.Total;
                long hostsAt = externalAt + e.External.Total, linksAt = hostsAt + e.Hosts.Total, theftAt = linksAt + e.Links.Total;
                IReadOnlyList<long> ids = e.IdCount > LazyIdsAbove ? new IdList(this, index + 1, idsAt, e.IdCount) : ReadIds(index + 1, idsAt, e.IdCount);
                var lists = new Lists(
                    ReadSection(index + 1, "steps", stepsAt, e.Steps, LazyStepsAbove, ReadStep),
                    ReadSection(index + 1, "accounts", usersAt, e.Users, LazyTextsAbove, ReadText),
                    ReadSection(index + 1, "internal addresses", internalAt, e.Internal, LazyTextsAbove, ReadText),
                    ReadSection(index + 1, "external addresses", externalAt, e.External, LazyTextsAbove, ReadText),
                    ReadSection(index + 1, "hosts", hostsAt, e.Hosts, LazyTextsAbove, ReadText),
                    ReadSection(index + 1, "links", linksAt, e.Links, LazyStepsAbove, ReadLink),
                    ReadSection(index + 1, "theft steps", theftAt, e.Theft, LazyStepsAbove, ReadTheft));
                var c = Read(ref r, "C" + (index + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), ids, lists);
                if (r.Remaining != 0) throw new InvalidDataException($"campaign store: campaign {index + 1} has {r.Remaining} bytes left over");
                return c;
            }
            finally { ArrayPool<byte>.Shared.Return(rent); }
        }
    }

    public IEnumerator<Campaign> GetEnumerator()
    {
        for (int i = 0; i < _count; i++) yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public void Dispose()
    {
        _file.Dispose();
        _adding?.Dispose();
        _ranked?.Dispose();
    }

    // ---- format: fields in declaration order of Campaign; lists as count + items; times as ticks + kind ----

    private static void Write(ref Writer w, Campaign c)
    {
        w.Double(c.Score);
        w.String(c.Kind);
        // The hosts, accounts, addresses and links are written after the rest, with the steps (see Add).
        w.Strings(c.Tactics);
        w.Strings(c.Techniques);
        w.Time(c.FirstSeen);
        w.Time(c.LastSeen);
        // The detection ids and the steps are written after the rest (see Add).
        w.Int(c.Levels.Count);
        foreach (var (k, v) in c.Levels) { w.String(k); w.Long(v); }
        w.String(c.Operator.Kind);
        w.Double(c.Operator.Confidence);
        w.Int(c.Operator.Evidence.Count);
        foreach (var (k, v) in c.Operator.Evidence) { w.String(k); w.Double(v); }
        w.Strings(c.Operator.Reasons);
        w.String(c.Summary);
        // The theft steps are written after the rest too.
    }

    private static void WriteTheft(ref Writer w, DataTheft t)
    {
        w.Time(t.Time); w.String(t.Host); w.String(t.Kind); w.String(t.Detail); w.Long(t.Bytes); w.String(t.Destination);
        w.Ids(t.DetectionIds);
    }

    private static DataTheft ReadTheft(ref Reader r) => new(r.Time(), r.String(), r.String(), r.String(), r.Long(), r.String(), r.Ids());

    private static void WriteStep(ref Writer w, CampaignStep s)
    {
        w.Time(s.Time); w.String(s.Host); w.String(s.User); w.String(s.Tactic); w.String(s.Technique); w.String(s.RuleId);
        w.String(s.RuleTitle); w.String(s.Level); w.Long(s.DetectionId); w.Int(s.Count); w.String(s.Detail);
    }

    private static void WriteLink(ref Writer w, HostLink l)
    {
        w.String(l.FromHost); w.String(l.ToHost); w.String(l.Account); w.String(l.Method); w.Time(l.Time); w.String(l.SourceAddress);
        w.Ids(l.DetectionIds);
    }

    private static HostLink ReadLink(ref Reader r) => new(r.String(), r.String(), r.String(), r.String(), r.Time(), r.String(), r.Ids());

    private static CampaignStep ReadStep(ref Reader r) =>
        new(r.Time(), r.String(), r.String(), r.String(), r.String(), r.String(), r.String(), r.String(), r.Long(), r.Int(), r.String());

    /// <summary>Reads campaign <paramref name="campaign"/>'s <paramref name="count"/> detection ids at <paramref name="offset"/>
    /// into a list (through the same window as <see cref="IdList"/>).</summary>
    private List<long> ReadIds(int campaign, long offset, int count)
    {
        var ids = new List<long>(count);
        ids.AddRange(new IdList(this, campaign, offset, count));
        return ids;
    }

    private void ReadIdBytes(int campaign, long offset, Span<byte> into)
    {
        int read = FileReads.ReadFully(_handle, into, offset);
        if (read < into.Length) throw new IOException($"campaign store: the temporary file ended at byte {offset + read} inside campaign {campaign}'s detection ids");
    }

    /// <summary>Campaigns with more detections than this get their ids as a list read from the file as it is walked
    /// (<see cref="IdList"/>), 8,192 at a time, instead of as one list. Tests lower it.</summary>
    internal int LazyIdsAbove { get; init; } = 1 << 16;

    /// <summary>A big campaign's detection ids, read from the file through a window of 8,192 (nothing else is kept).</summary>
    private sealed class IdList(CampaignStore store, int campaign, long offset, int count) : IReadOnlyList<long>
    {
        private const int Window = 8192;
        private readonly long[] _window = new long[Window];
        private int _start = -1;

        public int Count => count;

        public long this[int index]
        {
            get
            {
                ArgumentOutOfRangeException.ThrowIfNegative(index);
                ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, count);
                if (_start < 0 || index < _start || index >= _start + Window)
                {
                    _start = index / Window * Window;
                    int n = Math.Min(Window, count - _start);
                    store.ReadIdBytes(campaign, offset + 8L * _start, MemoryMarshal.AsBytes(_window.AsSpan(0, n)));
                    if (!BitConverter.IsLittleEndian)
                        for (int i = 0; i < n; i++) _window[i] = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(_window[i]);
                }
                return _window[index - _start];
            }
        }

        public IEnumerator<long> GetEnumerator()
        {
            for (int i = 0; i < count; i++) yield return this[i];
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>Campaigns with more hosts, accounts, internal or external addresses than this get them as a list read from the
    /// file as it is walked (<see cref="SectionList{T}"/>). Tests lower it.</summary>
    internal int LazyTextsAbove { get; init; } = 1 << 14;

    /// <summary>The items of a section of campaign <paramref name="campaign"/> (its rank): a list, or for more than
    /// <paramref name="lazyAbove"/> a list read from the file as it is walked.</summary>
    private IReadOnlyList<T> ReadSection<T>(int campaign, string what, long offset, Section section, int lazyAbove, ReadItem<T> read)
    {
        var region = new IdRegion(this, campaign, offset + section.Bytes, section.IdBytes, LazyIdsAbove);
        if (section.Count > lazyAbove) return new SectionList<T>(this, campaign, what, offset, section, read, region);
        var items = new List<T>(section.Count);
        using var cursor = new SectionCursor<T>(_handle, campaign, what, offset, section.Bytes, read, region);
        for (int i = 0; i < section.Count; i++) items.Add(cursor.Next());
        cursor.End(section.Count);
        return items;
    }

    /// <summary>Reads a section's items one after another from the file through a 64 KB window (each item is its length and
    /// its bytes).</summary>
    private sealed class SectionCursor<T> : IDisposable
    {
        private readonly SafeFileHandle _handle;
        private readonly int _campaign;
        private readonly string _what;
        private readonly ReadItem<T> _readItem;
        private readonly IdRegion? _region;
        private readonly long _end;
        private long _next; // file offset of the first byte not yet in the window
        private byte[] _window = ArrayPool<byte>.Shared.Rent(1 << 16);
        private int _at, _filled;
        private int _read;

        public SectionCursor(SafeFileHandle handle, int campaign, string what, long offset, long bytes, ReadItem<T> read, IdRegion? region = null)
        {
            _handle = handle;
            _region = region;
            _campaign = campaign;
            _what = what;
            _readItem = read;
            _next = offset;
            _end = offset + bytes;
        }

        /// <summary>Makes <paramref name="n"/> bytes available at _at (refilling and, for a long step, growing the window).</summary>
        private void Ensure(int n)
        {
            if (_filled - _at >= n) return;
            if (_end - _next < n - (_filled - _at))
                throw new InvalidDataException($"campaign store: campaign {_campaign}'s {_what} end at byte {_end} of the temporary file inside item {_read + 1}");
            if (n > _window.Length)
            {
                var bigger = ArrayPool<byte>.Shared.Rent(n);
                Buffer.BlockCopy(_window, _at, bigger, 0, _filled - _at);
                ArrayPool<byte>.Shared.Return(_window);
                _window = bigger;
            }
            else Buffer.BlockCopy(_window, _at, _window, 0, _filled - _at);
            _filled -= _at;
            _at = 0;
            while (_filled < n)
            {
                int want = (int)Math.Min(_window.Length - _filled, _end - _next);
                int got = RandomAccess.Read(_handle, _window.AsSpan(_filled, want), _next);
                if (got <= 0) throw new InvalidDataException($"campaign store: the temporary file ended at byte {_next} inside campaign {_campaign}'s {_what}, item {_read + 1}");
                _filled += got;
                _next += got;
            }
        }

        public T Next()
        {
            Ensure(4);
            int length = BinaryPrimitives.ReadInt32LittleEndian(_window.AsSpan(_at, 4));
            if (length < 0) throw new InvalidDataException($"campaign store: campaign {_campaign}'s {_what}, item {_read + 1}, has length {length}");
            _at += 4;
            Ensure(length);
            var r = new Reader(_window.AsSpan(_at, length), _region);
            var item = _readItem(ref r);
            if (r.Remaining != 0) throw new InvalidDataException($"campaign store: campaign {_campaign}'s {_what}, item {_read + 1}, has {r.Remaining} bytes left over");
            _at += length;
            _read++;
            return item;
        }

        /// <summary>Checks that <paramref name="count"/> steps used the section exactly.</summary>
        public void End(int count)
        {
            if (_read == count && (_filled - _at != 0 || _next != _end))
                throw new InvalidDataException($"campaign store: campaign {_campaign}'s {count} {_what} leave {_filled - _at + _end - _next} bytes over");
        }

        public void Dispose()
        {
            if (_window.Length > 0) ArrayPool<byte>.Shared.Return(_window);
            _window = [];
        }
    }

    /// <summary>A big campaign's steps (or accounts, or addresses), read from the file each time they are walked (nothing is
    /// kept). Walking in order, by enumeration or by index 0, 1, 2..., reads sequentially; any other index reads from the
    /// start, or on from the last place read.</summary>
    private sealed class SectionList<T>(CampaignStore store, int campaign, string what, long offset, Section section, ReadItem<T> read,
        IdRegion region) : IReadOnlyList<T>
    {
        private readonly int count = section.Count;
        private readonly long bytes = section.Bytes;
        private SectionCursor<T>? _cursor;
        private int _position; // index of the step the cursor gives next

        public int Count => count;

        public T this[int index]
        {
            get
            {
                ArgumentOutOfRangeException.ThrowIfNegative(index);
                ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, count);
                if (_cursor is null || index < _position)
                {
                    _cursor?.Dispose();
                    _cursor = new SectionCursor<T>(store._handle, campaign, what, offset, bytes, read, region);
                    _position = 0;
                }
                while (_position < index) { _cursor.Next(); _position++; }
                var item = _cursor.Next();
                _position++;
                if (_position == count) { _cursor.End(count); _cursor.Dispose(); _cursor = null; }
                return item;
            }
        }

        public IEnumerator<T> GetEnumerator()
        {
            using var cursor = new SectionCursor<T>(store._handle, campaign, what, offset, bytes, read, region);
            for (int i = 0; i < count; i++) yield return cursor.Next();
            cursor.End(count);
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>A campaign's lists kept in sections.</summary>
    private sealed record Lists(IReadOnlyList<CampaignStep> Steps, IReadOnlyList<string> Users, IReadOnlyList<string> Internal,
        IReadOnlyList<string> External, IReadOnlyList<string> Hosts, IReadOnlyList<HostLink> Links, IReadOnlyList<DataTheft> Theft);

    private static Campaign Read(ref Reader r, string id, IReadOnlyList<long> ids, Lists lists)
    {
        double score = r.Double();
        string kind = r.String();
        var tactics = r.Strings();
        var techniques = r.Strings();
        var first = r.Time();
        var last = r.Time();
        int nl = r.Count(12);
        var levels = new Dictionary<string, long>(nl, StringComparer.Ordinal);
        for (int i = 0; i < nl; i++) { var k = r.String(); levels.Add(k, r.Long()); }
        var opKind = r.String();
        double conf = r.Double();
        int ne = r.Count(12);
        var evidence = new Dictionary<string, double>(ne, StringComparer.Ordinal);
        for (int i = 0; i < ne; i++) { var k = r.String(); evidence.Add(k, r.Double()); }
        var reasons = r.Strings();
        var summary = r.String();
        return new Campaign
        {
            Id = id, Score = score, Kind = kind, Hosts = lists.Hosts, Users = lists.Users, InternalAddresses = lists.Internal,
            ExternalAddresses = lists.External, Tactics = tactics, Techniques = techniques, FirstSeen = first, LastSeen = last,
            DetectionIds = ids, Levels = levels,
            Operator = new OperatorVerdict { Kind = opKind, Confidence = conf, Evidence = Measurements.From(evidence), Reasons = reasons },
            Summary = summary, Steps = lists.Steps, Links = lists.Links, Theft = lists.Theft,
        };
    }

    private ref struct Writer(ArrayBufferWriter<byte> to, BigIds? big = null)
    {
        private readonly ArrayBufferWriter<byte> _to = to;
        private readonly BigIds? _big = big;

        public void Int(int v) { BinaryPrimitives.WriteInt32LittleEndian(_to.GetSpan(4), v); _to.Advance(4); }
        public void Long(long v) { BinaryPrimitives.WriteInt64LittleEndian(_to.GetSpan(8), v); _to.Advance(8); }
        public void Double(double v) => Long(BitConverter.DoubleToInt64Bits(v));
        public void Time(DateTime t) { Long(t.Ticks); Int((int)t.Kind); }

        public void String(string s)
        {
            Int(s.Length);
            var bytes = MemoryMarshal.AsBytes(s.AsSpan());
            if (BitConverter.IsLittleEndian) { bytes.CopyTo(_to.GetSpan(bytes.Length)); _to.Advance(bytes.Length); }
            else foreach (char ch in s) { BinaryPrimitives.WriteUInt16LittleEndian(_to.GetSpan(2), ch); _to.Advance(2); }
        }

        public void Strings(IReadOnlyList<string> xs) { Int(xs.Count); foreach (var x in xs) String(x); }

        /// <summary>A record's detection ids: in the record, or past <see cref="BigIds.Above"/> (in a section that has them) their
        /// count and offset, the ids themselves written after the section's records.</summary>
        public void Ids(IReadOnlyList<long> xs)
        {
            Int(xs.Count);
            if (_big is not null && xs.Count > _big.Above)
            {
                Long(_big.Bytes);
                _big.Lists.Add(xs);
                _big.Bytes += 8L * xs.Count;
                return;
            }
            foreach (var x in xs) Long(x);
        }
    }

    /// <summary>Bounds-checked reads of one campaign's bytes; a short or inconsistent record is an error naming the place.</summary>
    private ref struct Reader(ReadOnlySpan<byte> data, IdRegion? region = null)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private readonly IdRegion? _region = region;
        private int _at;

        public readonly int Remaining => _data.Length - _at;

        private ReadOnlySpan<byte> Take(int n)
        {
            if (n < 0 || n > _data.Length - _at)
                throw new InvalidDataException($"campaign store: record of {_data.Length} bytes ends before byte {(long)_at + n}");
            var s = _data.Slice(_at, n);
            _at += n;
            return s;
        }

        public int Int() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));
        public long Long() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));
        public double Double() => BitConverter.Int64BitsToDouble(Long());
        public DateTime Time() { long ticks = Long(); return new DateTime(ticks, (DateTimeKind)Int()); }

        /// <summary>An item count, checked against the bytes left (each item takes at least <paramref name="minBytes"/>).</summary>
        public int Count(int minBytes)
        {
            int n = Int();
            if (n < 0 || (long)n * minBytes > Remaining) throw new InvalidDataException($"campaign store: count {n} at byte {_at - 4} exceeds the record");
            return n;
        }

        public string String()
        {
            int n = Int();
            if (n == 0) return "";
            var bytes = Take(checked(n * 2));
            if (BitConverter.IsLittleEndian) return new string(MemoryMarshal.Cast<byte, char>(bytes));
            var chars = new char[n];
            for (int i = 0; i < n; i++) chars[i] = (char)BinaryPrimitives.ReadUInt16LittleEndian(bytes.Slice(i * 2, 2));
            return new string(chars);
        }

        public List<string> Strings()
        {
            int n = Count(4);
            var l = new List<string>(n);
            for (int i = 0; i < n; i++) l.Add(String());
            return l;
        }

        /// <summary>A record's detection ids: in the record, or past <see cref="IdRegion.Above"/> an offset into the section's
        /// long lists, read from the file as they are walked.</summary>
        public IReadOnlyList<long> Ids()
        {
            if (_region is not null)
            {
                int at = _at, count = Int();
                if (count > _region.Above)
                {
                    long offset = Long();
                    if (offset < 0 || offset % 8 != 0 || offset + 8L * count > _region.Bytes)
                        throw new InvalidDataException($"campaign store: {count} ids at byte {offset} of campaign {_region.Campaign}'s id lists (byte {at} of the record) pass their {_region.Bytes} bytes");
                    return new IdList(_region.Store, _region.Campaign, _region.At + offset, count);
                }
                _at = at;
            }
            int n = Count(8);
            var l = new List<long>(n);
            for (int i = 0; i < n; i++) l.Add(Long());
            return l;
        }
    }
}
