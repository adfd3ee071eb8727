using System.Text;

namespace Vigil.Readers;

/// <summary>
/// The input files of a run, in order: the first <see cref="InMemoryFiles"/> as objects, the rest as rows in a temporary
/// file (anonymous: <see cref="Vigil.IO.TempFile"/>), so a folder of millions of small files (a
/// CloudTrail bucket copied to disk: a file per region every five minutes) costs a few MB, not ~250 bytes a file. Read in
/// order (as the pipeline and the outputs do) it reads each row once; an index finds any row through a block of
/// <see cref="BlockRows"/> rows (two blocks cached).
/// </summary>
public sealed class InputFileList : IReadOnlyList<InputFile>, IDisposable
{
    /// <summary>Files kept as objects before rows go to the temporary file.</summary>
    public const int InMemoryFiles = 4096;
    internal const int BlockRows = 1024;

    private readonly IReadOnlyList<ILogFormat> _formats;
    private readonly List<InputFile> _first = [];
    private readonly List<long> _blockOffsets = [];   // file offset of row InMemoryFiles + k * BlockRows
    private readonly int _inMemory;
    private FileStream? _file;
    private BinaryWriter? _writer;
    private readonly Lock _gate = new();
    private (int Block, InputFile[]? Rows) _cache0 = (-1, null), _cache1 = (-1, null);
    private bool _useCache1;

    internal InputFileList(IReadOnlyList<ILogFormat> formats, int inMemory = InMemoryFiles)
    {
        _formats = formats;
        _inMemory = inMemory;
    }

    public int Count { get; private set; }

    /// <summary>The files' bytes together.</summary>
    public long TotalBytes { get; private set; }

    /// <summary>Rows in the temporary file (files past the first ones; tests check the file is used).</summary>
    internal int Spilled => Math.Max(0, Count - _inMemory);

    internal void Add(InputFile file)
    {
        int format = -1;
        for (int i = 0; i < _formats.Count; i++) if (ReferenceEquals(_formats[i], file.Format)) { format = i; break; }
        if (format < 0) throw new ArgumentException($"format {file.Format.Name} is not one of the list's", nameof(file));
        if (Count < _inMemory) _first.Add(file);
        else
        {
            if (_writer is null)
            {
                _file = Vigil.IO.TempFile.Create(Vigil.IO.TempFile.NewPath("vigil-inputs-"), 1 << 16);
                _writer = new BinaryWriter(_file, Encoding.UTF8, leaveOpen: true);
            }
            if ((Count - _inMemory) % BlockRows == 0) { _writer.Flush(); _blockOffsets.Add(_file!.Position); }
            _writer.Write((byte)format);
            _writer.Write(file.Length);
            _writer.Write(file.Path);
        }
        Count++;
        TotalBytes += file.Length;
    }

    /// <summary>No more files: the rows are written out for reading.</summary>
    internal void Seal() => _writer?.Flush();

    public InputFile this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index));
            if (index < _inMemory) return _first[index];
            int row = index - _inMemory, block = row / BlockRows;
            lock (_gate)
            {
                var rows = _cache0.Block == block ? _cache0.Rows : _cache1.Block == block ? _cache1.Rows : null;
                if (rows is null)
                {
                    rows = ReadBlock(block);
                    // Two blocks: the pipeline's producer and its consumer read a few hundred files apart.
                    if (_useCache1) _cache1 = (block, rows); else _cache0 = (block, rows);
                    _useCache1 = !_useCache1;
                }
                return rows[row % BlockRows];
            }
        }
    }

    private InputFile[] ReadBlock(int block)
    {
        var file = _file ?? throw new ObjectDisposedException(nameof(InputFileList));
        int n = Math.Min(BlockRows, Spilled - block * BlockRows);
        var rows = new InputFile[n];
        file.Position = _blockOffsets[block];
        using var reader = new BinaryReader(file, Encoding.UTF8, leaveOpen: true);
        for (int i = 0; i < n; i++)
        {
            int format = reader.ReadByte();
            long length = reader.ReadInt64();
            string path = reader.ReadString();
            rows[i] = new InputFile(path, _formats[format], length);
        }
        return rows;
    }

    public IEnumerator<InputFile> GetEnumerator()
    {
        for (int i = 0; i < Count; i++) yield return this[i];
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    public void Dispose()
    {
        lock (_gate)
        {
            _writer?.Dispose();
            _file?.Dispose();
            _writer = null;
            _file = null;
        }
    }
}
