namespace Semisup.Data;

/// <summary>Finds a dataset's four files (fetching them if need be) and returns their directory; the CLI supplies it
/// with its progress bar.</summary>
public delegate Task<string> LocateData(DatasetInfo dataset);

public static class DataLocation
{
    /// <summary>The named dataset and its four files, found by <paramref name="locate"/>, read and checked.</summary>
    public static async Task<(DatasetInfo Dataset, DatasetFiles Files)> ReadAsync(this LocateData locate, string dataset)
    {
        var ds = Datasets.Get(dataset);
        return (ds, DatasetFiles.Read(await locate(ds), ds));
    }
}
