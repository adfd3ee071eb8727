using Vigil.Campaigns.Output;
using Vigil.Engine.Hunting;

namespace Vigil.Outputs;

/// <summary><c>--campaigns FILE</c>: the hunt's campaigns as <c>{"campaigns":[...]}</c> (see <see cref="CampaignJson"/>).
/// The file is created when the hunt starts (a bad path fails before any work) and written when it completes.</summary>
public sealed class CampaignJsonSink : IHuntSink
{
    private readonly FileStream _file;
    private readonly string _path;
    private bool _completed;

    public CampaignJsonSink(string path)
    {
        _path = path;
        _file = OutputFiles.Create(path);
    }

    public void Add(long id, Detection detection) { } // campaigns come built in the summary

    public void Complete(HuntSummary summary)
    {
        CampaignJson.Write(summary.Campaigns, _file);
        _completed = true;
    }

    /// <summary>A hunt that stopped before completing leaves no campaign file: an empty list would read as "nothing found".</summary>
    public void Dispose()
    {
        _file.Dispose();
        if (!_completed) try { File.Delete(_path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
