using Microsoft.Win32.SafeHandles;

namespace Vigil.IO;

/// <summary>Positioned reads that fill the whole buffer: one read may return fewer bytes than asked without the file
/// ending, so every reader of fixed-size pieces (EVTX headers and chunks, the campaign build's temporary files) loops.</summary>
public static class FileReads
{
    /// <summary>Reads <paramref name="buffer"/> from <paramref name="offset"/> on, in as many reads as it takes; returns
    /// the bytes read, fewer than asked only where the file ends (the caller says what was cut short, and where).</summary>
    public static int ReadFully(SafeFileHandle handle, Span<byte> buffer, long offset)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int r = RandomAccess.Read(handle, buffer[total..], offset + total);
            if (r <= 0) break;
            total += r;
        }
        return total;
    }
}
