namespace Semisup.Data;

/// <summary>A confusion matrix: rows are true classes, columns predictions.</summary>
public static class Confusion
{
    public static int[,] Count(long[] truth, long[] predicted, int classes)
    {
        var m = new int[classes, classes];
        for (int i = 0; i < truth.Length; i++) m[truth[i], predicted[i]]++;
        return m;
    }

    /// <summary>The off-diagonal cells, most frequent first (ties by true class, then predicted class).</summary>
    public static IEnumerable<(int True, int Predicted, int Count)> Mistakes(int[,] m) =>
        from t in Enumerable.Range(0, m.GetLength(0))
        from p in Enumerable.Range(0, m.GetLength(1))
        where t != p && m[t, p] > 0
        orderby m[t, p] descending, t, p
        select (t, p, m[t, p]);
}
