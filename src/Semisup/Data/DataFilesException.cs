namespace Semisup.Data;

/// <summary>What makes a dataset's files usable again.</summary>
public enum DataRemedy
{
    /// <summary>Fetch the dataset into the directory it was read from.</summary>
    Fetch,

    /// <summary>Delete the file and fetch the dataset again.</summary>
    DeleteAndFetch,

    /// <summary>Keep the dataset in another directory, one that can be written.</summary>
    WritableDirectory,

    /// <summary>No source delivered: the user puts the four files in a directory of their own.</summary>
    OwnFiles,
}

/// <summary>A dataset's files are missing, corrupt, cannot be written or cannot be fetched. The message says what
/// fixes it plainly; a front end words <see cref="Remedy"/> with its own commands after <see cref="Problem"/>.</summary>
public sealed class DataFilesException(string problem, DatasetInfo dataset, DataRemedy remedy, Exception? inner = null)
    : SemisupException($"{problem} {Plain(remedy, dataset)}", inner)
{
    public string Problem => problem;
    public DatasetInfo Dataset => dataset;
    public DataRemedy Remedy => remedy;

    static string Plain(DataRemedy remedy, DatasetInfo ds) => remedy switch
    {
        DataRemedy.Fetch => $"Fetch {ds.Name} into that directory.",
        DataRemedy.DeleteAndFetch => $"Delete it and fetch {ds.Name} again.",
        DataRemedy.WritableDirectory => "Set SEMISUP_DATA or choose a data directory you can write to.",
        _ => "Or put the four IDX files (raw or .gz) in a directory and read them from there.",
    };
}
